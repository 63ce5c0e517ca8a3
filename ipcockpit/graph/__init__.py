"""The industry and talent knowledge graph (docs/entities.md, "The graph", "Talent" and "Pages, CLI and API").

``ids``: the entity id of a party or inventor (resolved, else the folded name); ``build``: the node and edge
lists from the store by DuckDB SQL into Parquet; ``sei``: the SEI branches of IPC codes; ``analysis``:
communities and centrality with igraph; ``export``: GraphML and Neo4j import CSV; ``explore``: a capped
neighbourhood for the explorer page (``explore_index``: the graph held in memory for it); ``talent``:
employers, mobility, flows, key inventors and teams; ``service``: the operations the core object calls;
``pages`` and ``profiles``: the data of the web pages (explorer, talent; organisation and inventor profiles).
"""
