"""The leader's figures (DOMAIN §5, §6, §12, §14). Importers name the module that holds a name:

period.py      the report's period (?from, ?to) and the SQL for exact durations
daily.py       closed days' ticket counts kept in ticket_day_figures
models.py      ticket_day_spread: closed days' wait and service histograms, heat map
spread.py      keeping and reading ticket_day_spread
queue.py       queue figures: tickets, served, no-shows, waits by field, counter, officer,
               procedure; the heat map; the trend by day, week or month
indicators.py  the Decision 766/QĐ-TTg indicators beside the office's own dossier figures
report.py      the whole report (office_stats), off the loop; counter take-overs
charts.py      the report's charts as SVG (core.svgchart)
exports.py     the report as CSV and Excel (with charts)
"""
