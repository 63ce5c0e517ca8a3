"""The industry and talent knowledge graph (docs/entities.md, "The graph" and "Talent").

``ids``: the entity id of a party or inventor (resolved, else the folded name); ``build``: the node and edge
lists from the store by DuckDB SQL into Parquet; ``sei``: the SEI branches of IPC codes; ``analysis``:
communities and centrality with igraph; ``export``: GraphML and Neo4j import CSV; ``explore``: a capped
neighbourhood for the explorer page; ``talent``: employers, mobility, flows, key inventors and teams;
``service``: the operations the core object calls.
"""
