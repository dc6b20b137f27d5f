"""Data generators, one module per workload; each yields records, streamlab.producing sends them."""
