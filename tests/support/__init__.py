"""What tests and benchmarks share: the backends and their servers, the GraphQL and gateway
clients, factories, the record builder, snapshots, rollup-table readers, the query counter.

Test modules import from here and never from one another; ``bench`` imports from here and
nothing else of ``tests`` (``tests/test_layers.py`` checks both).
"""
