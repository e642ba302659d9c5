"""The paper's human Turing test (Yu et al. 2017, §5) as a tool: `humaneval make` draws real
test items and samples of trained runs into a blinded questionnaire (questionnaire.py),
`humaneval serve` shows it to raters one item at a time and stores each answer in SQLite
(server.py, store.py), and `humaneval score` applies the paper's rule with intervals, tests
and inter-rater agreement (scoring.py, report.py)."""
