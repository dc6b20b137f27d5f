"""Running a workload's jobs: start, resume and stop them (lifecycle), follow their result as it changes
(live), and judge it against the pandas oracle (verdict). Everything here works from a workload's
declarations (streamlab.workloads); no workload is named here.
"""
