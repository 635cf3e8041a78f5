"""Finance: the chart of accounts, the journal, automatic posting, settlement, FX, periods and statements."""
