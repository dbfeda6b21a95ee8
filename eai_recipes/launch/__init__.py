"""The launch stage: `llamafactory-cli` run as a child on rendered recipes (train, predict, export, the
WebUI), after a preflight, with resume and logs.

Modules: preflight (what must be true before a run: llamafactory-cli, model, data, GPU, packages, a
validation cache), resume (what a run directory holds and how a new launch treats it), run (the child
process: environment, logs, signals; train, predict, export), sweep (running a sweep's points one by one
and tabulating them), webui (LLaMA-Factory's WebUI on loopback with our datasets listed).
"""
