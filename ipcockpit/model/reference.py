"""Reference tables (classification titles, concordances, code tables). Rows come as ReferenceRecord."""

from __future__ import annotations

REF_TABLES: dict[str, list[tuple[str, str]]] = {
    # IPC/CPC titles in any language; level: section/class/subclass/main_group/subgroup
    "ref_ipc_titles": [
        ("code", "VARCHAR"),
        ("lang", "VARCHAR"),
        ("level", "VARCHAR"),
        ("title", "VARCHAR"),
        ("parent", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    # WIPO 35 technology fields (Schmoch 2008): an IPC prefix maps to a field
    "ref_tech_fields": [
        ("ipc_prefix", "VARCHAR"),
        ("field_id", "INTEGER"),
        ("field_en", "VARCHAR"),
        ("sector_en", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    # Concordances from IPC patterns to an industry/technology code: SEI 2021, green, key digital
    "ref_ipc_concordance": [
        ("scheme", "VARCHAR"),  # sei2021 / green2022 / digital2023 / prefiling_cq ...
        ("code", "VARCHAR"),  # e.g. 1.1.1
        ("name", "VARCHAR"),
        ("parent_code", "VARCHAR"),
        ("parent_name", "VARCHAR"),
        ("ipc_pattern", "VARCHAR"),  # with * wildcards
        ("exclusions", "VARCHAR[]"),
        ("keywords", "VARCHAR[]"),
        ("rule_id", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    # Legal-event code tables (INPADOC, USPTO) mapped to the model's event classes
    "ref_event_codes": [
        ("office", "VARCHAR"),
        ("code", "VARCHAR"),
        ("description", "VARCHAR"),
        ("influence", "VARCHAR"),
        ("source_class", "VARCHAR"),
        ("event_class", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
}
