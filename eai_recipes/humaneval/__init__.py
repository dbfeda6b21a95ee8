"""The human-evaluation kit of the paper's section 4.4, made rerunnable: questions, a blinded questionnaire,
rater responses and their statistics.

Modules: items (the Likert items and scale), questions, answers (each model's answers to them),
questionnaire (the blinded HTML form and its key), responses (reading raters' CSVs), stats, plots, report.
"""
