"""The data stage: the datasets EAI is trained and validated on (`eai data build`, `eai data sources`).

Modules: registry (the source registry in dataset_info/sources.yaml), loaders (finding and streaming source
files, the hub download), rules (the cleaning rules), process (one batch through the rules), identity_set
(placeholders and the human-evaluation questions), build (the whole build, its outputs and manifest).
"""
