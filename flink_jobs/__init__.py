"""PyFlink Table API jobs, one module per workload (the lead track)."""
