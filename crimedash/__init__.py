"""crimedash: design privacy-safe public crime maps.

The core flows one way: load -> index -> design -> layer -> risk -> export.
Nothing in this package except `crimedash.ui` imports streamlit.
"""

__version__ = "0.1.0"
