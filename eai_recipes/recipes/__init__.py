"""The recipes stage: what a run is made of, rendered into flat LLaMA-Factory YAML.

recipe values (what: recipes/eai.yaml) + a profile (where: recipes/profiles/*.yaml, hardware values and the
launch environment) + --set/--env overrides, laid out by Jinja2 templates (how: recipes/templates/) into
flat, complete YAML files with their exact command on top, validated with LLaMA-Factory's own parser before
anything expensive runs.

Modules: launch_env (the launch variables llamafactory-cli reads), profiles (loading profiles and recipes,
choosing one for a GPU), expand (our options that expand into LLaMA-Factory keys; secret, hardware and
DeepSpeed checks), render (Jinja -> flat YAML), validate (LLaMA-Factory's parser on a config), sweeps (a
sweep file expanded to one rendered recipe per point), check (validating any file under recipes/ or runs/).
"""
