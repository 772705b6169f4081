"""運営方針 KPI dashboard logic: reference data, indicator semantics, actuals store, exports.

Nothing in this package imports streamlit: the pages and the command line call
the same functions.
"""
