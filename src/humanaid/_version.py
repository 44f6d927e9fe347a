"""The version of humanaid, read by packaging and by ``humanaid.__version__``."""

__version__ = "0.1.0.dev0"
