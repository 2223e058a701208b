"""statuscli: poll AnchorBrowser and Browserable task status from a terminal or a script."""

__version__ = "0.1.0"
