"""Finance Close: the month-end checklist, the close, and the statement viewer with drill-down."""
