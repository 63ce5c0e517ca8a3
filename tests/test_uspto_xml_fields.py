"""Field extraction from USPTO full text through pugixml: text as XML defines it, and bad bytes refused.

The real weekly files are checked field by field in test_ingest_uspto_xml.py; these documents are
written here to pin what pugixml must get right that those files only touch now and then: white space
between inline elements, entities and CDATA, a declared encoding, bytes that are not text.
"""

from __future__ import annotations

import gc
from datetime import date

from ipcockpit.ingest.uspto_xml import parse_document
from ipcockpit.ingest.uspto_xml_fields import extract, parse

DOC = """<?xml version="1.0" encoding="{enc}"?>
<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v45-2014-04-03.dtd" [ ]>
<us-patent-grant lang="EN" dtd-version="v4.5 2014-04-03" country="US">
<us-bibliographic-data-grant>
<publication-reference><document-id><country>US</country><doc-number>09999999</doc-number><kind>B2</kind>
<date>20150106</date></document-id></publication-reference>
<application-reference appl-type="utility"><document-id><country>US</country><doc-number>13123456</doc-number>
<date>20130102</date></document-id></application-reference>
<invention-title id="d2e53">Widget &amp; <i>gadget</i> <b>holder</b> {title}</invention-title>
<us-references-cited>
<us-citation><patcit num="00001"><document-id><country>US</country><doc-number>5000000</doc-number><kind>A</kind>
<name>Smith</name><date>19910300</date></document-id></patcit><category>cited by examiner</category></us-citation>
<us-citation><nplcit num="00002"><othercit>Doe, <i>On widgets</i>, 1999</othercit></nplcit>
<category>cited by applicant</category></us-citation>
</us-references-cited>
<us-parties><us-applicants><us-applicant sequence="001" app-type="applicant" designation="us-only">
<addressbook><orgname>Acme  Widgets, Inc.</orgname><address><city>Dayton</city><state>OH</state>
<country>US</country></address></addressbook></us-applicant></us-applicants>
<inventors><inventor sequence="001"><addressbook><last-name>Roe</last-name><first-name>Jane</first-name>
<address><city>Kettering</city><state>OH</state><country>US</country></address></addressbook></inventor></inventors>
</us-parties>
</us-bibliographic-data-grant>
<abstract id="abstract"><p id="p-0001" num="0000">A widget<sub>2</sub> holder.</p></abstract>
<description id="description">
<heading id="h-0001" level="1">BACKGROUND</heading>
<p id="p-0002" num="0001">First <b>bold</b> <i>italic</i> paragraph.<!-- a comment --></p>
<?in-line-formulae description="In-line Formulae" end="lead"?>
<p id="p-0003" num="0002">Second <![CDATA[<raw> & ]]>paragraph &#x2014; done.</p>
</description>
<claims id="claims">
<claim id="CLM-00001" num="00001"><claim-text>1. A holder comprising: <claim-text>a <b>base</b> <i>plate</i>;
and</claim-text></claim-text></claim>
<claim id="CLM-00002" num="00002"><claim-text>2. The holder of <claim-ref idref="CLM-00001">claim 1</claim-ref>,
wherein</claim-text></claim>
</claims>
</us-patent-grant>
"""


def _doc(enc: str = "UTF-8", title: str = "") -> bytes:
    return DOC.format(enc=enc, title=title).encode("utf-8" if enc == "UTF-8" else enc)


def test_text_as_xml_defines_it() -> None:
    kind, head, parties, inventors, classes, citations, claims, texts, prio = parse_document(0, _doc())
    assert kind == "doc"
    assert head["doc_id"] == "US9999999B2" and head["app_id"] == "US13123456"
    assert head["pub_date"] == date(2015, 1, 6) and head["doc_type"] == "invention"
    # entities decoded; the space between two inline elements kept; white space collapsed
    assert head["title"] == "Widget & gadget holder"
    assert head["extra"] == {"dtd_version": "v4.5 2014-04-03"}
    assert citations == [
        ("US5000000A", "US 5000000 A", "US", date(1991, 3, 1), False, None, "examiner", 1),
        (None, "Doe, On widgets, 1999", None, None, True, None, "applicant", 2),
    ]
    assert parties[0][:2] == ("Acme Widgets, Inc.", "applicant")
    assert parties[0][2] == ("Dayton, OH, US", "US", "OH", "Dayton")
    assert inventors == [("Jane Roe", ("Kettering, OH, US", "US", "OH", "Kettering"), 1)]
    assert claims == [
        (1, "1. A holder comprising: a base plate; and", True, None),
        (2, "2. The holder of claim 1, wherein", False, 1),
    ]
    text = dict(texts)
    assert text["abstract"] == "A widget2 holder."
    # paragraphs on their own lines; comments and processing instructions are not text; CDATA is
    assert text["description"].split("\n") == [
        "BACKGROUND", "First bold italic paragraph.", "", "Second <raw> & paragraph \u2014 done."]


def test_declared_encoding_is_used() -> None:
    r = parse_document(0, _doc("ISO-8859-1", title="für Küche"))
    assert r is not None and r[1]["title"] == "Widget & gadget holder für Küche"


def test_bytes_that_are_not_text_are_refused_with_the_reason() -> None:
    raw = _doc().replace(b"gadget", b"gad\xffget")  # not UTF-8
    assert parse(raw) is None
    r = parse_document(7, raw)
    assert r is not None and r[0] == "rej"
    _, offset, reason, excerpt, field = r
    assert offset == 7 and "09999999" in reason and "at offset 7" in reason
    assert "encoding" in reason.lower() or "utf-8" in reason.lower()


def test_cut_document_is_refused_naming_the_element() -> None:
    raw = _doc()
    cut = raw[: raw.index(b"<claim id=\"CLM-00002\"")]
    r = parse_document(0, cut)
    assert r is not None and r[0] == "rej"
    assert "cut short" in r[2] and r[4] in ("claims", "us-patent-grant")


def test_nodes_stay_valid_while_the_document_is_held() -> None:
    doc = parse(_doc())
    root = doc.root
    gc.collect()
    f = extract(doc)
    assert root.name == "us-patent-grant" and len(f["claims"]) == 2
