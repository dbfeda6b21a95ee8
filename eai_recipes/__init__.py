"""eai-recipes: fine-tune, evaluate and serve EAI with LLaMA-Factory."""

__version__ = "0.1.0"
