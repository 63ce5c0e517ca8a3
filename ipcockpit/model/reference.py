"""Reference tables (classification titles, concordances, code tables). Rows come as ReferenceRecord."""

from __future__ import annotations

REF_TABLES: dict[str, list[tuple[str, str]]] = {
    # IPC/CPC titles in any language, one row per (code, lang); docs/reference_tables.md
    "ref_ipc_titles": [
        ("code", "VARCHAR"),  # normalised: H, H04, H04N, H04N 19/00, H04N 19/176
        ("lang", "VARCHAR"),  # en / zh
        ("level", "VARCHAR"),  # section / class / subclass / main_group / subgroup
        ("title", "VARCHAR"),
        ("parent", "VARCHAR"),  # code one level up; a subgroup's parent is its main group
        ("heading", "VARCHAR"),  # guide heading printed above a main group, when the source has one
        ("version", "VARCHAR"),  # IPC version when the source names it (2026.01)
        ("file_id", "VARCHAR"),
    ],
    # IPC -> technology field: WIPO 35 fields (Schmoch 2008, scheme wipo35), NBER 6 categories (nber6)
    "ref_tech_fields": [
        ("scheme", "VARCHAR"),  # wipo35 / nber6
        ("ipc_pattern", "VARCHAR"),  # classes.match_pattern form: F21H*, H04N3*
        ("ipc_prefix", "VARCHAR"),  # normalised prefix for LIKE: 'F21H', 'H04N 3/'
        ("field_id", "INTEGER"),
        ("field_en", "VARCHAR"),
        ("sector_en", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    # Concordances from IPC patterns (or Locarno classes) to an industry/technology code, one row per
    # pattern: SEI 2021, green technology 2022, key digital technology 2023, pre-examination scopes
    "ref_ipc_concordance": [
        ("scheme", "VARCHAR"),  # sei2021 / green2022 / digital2023 / prefiling_chongqing ...
        ("code", "VARCHAR"),  # e.g. 1.1
        ("name", "VARCHAR"),
        ("parent_code", "VARCHAR"),
        ("parent_name", "VARCHAR"),
        ("subsystem", "VARCHAR"),  # digital2023: 人工智能, 高端芯片 ... (codes restart in each)
        ("class_scheme", "VARCHAR"),  # IPC / LOCARNO: what ipc_pattern holds
        ("ipc_pattern", "VARCHAR"),  # as the source writes it, with * wildcards
        ("ipc_regex", "VARCHAR"),  # classes.pattern_regex: regexp_full_match(code, ipc_regex)
        ("exclusions", "VARCHAR[]"),  # patterns of the same rule that are excluded
        ("exclusion_regex", "VARCHAR"),  # the exclusions as one regex, NULL when none
        ("keywords", "VARCHAR[]"),
        ("ipc_only", "BOOLEAN"),  # the source says the IPC alone decides (NULL: not said)
        ("coverage", "VARCHAR"),  # green2022: 全部涉及 / 部分涉及
        ("pattern_title", "VARCHAR"),  # title the source gives for the pattern (prefiling scopes)
        ("rule_id", "VARCHAR"),  # unique within a scheme: <code>#<rule number>
        ("reading", "VARCHAR"),  # SEI: what the keyword column is: product / keyword_condition / exclusion / ipc_only
        ("condition_terms", "VARCHAR[]"),  # SEI: the words that show the condition or the excluded subject
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
    # Award lists (China Patent Award, State S&T awards): matched to patents by application number
    "ref_awards": [
        ("award", "VARCHAR"),  # china_patent_award / state_sci_tech_award ...
        ("edition", "INTEGER"),
        ("level", "VARCHAR"),  # gold / silver / excellence ...
        ("year", "INTEGER"),
        ("app_id", "VARCHAR"),  # canonical application id (ipcockpit.model.numbers.application_id)
        ("doc_id", "VARCHAR"),  # publication or grant when the list gives one
        ("title", "VARCHAR"),
        ("holders", "VARCHAR[]"),
        ("inventors", "VARCHAR[]"),
        ("record_id", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
}
