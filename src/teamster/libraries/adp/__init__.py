"""ADP: payroll general-ledger files over SFTP (one per pay date and payroll group) and
Workforce Now's workers API, both placed through kipptaf's crosswalk (config/adp.yaml)."""
