"""The demo data set: a fictional kabupaten, a ministry, the Ombudsman and three weeks of work."""
