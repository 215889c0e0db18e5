"""sourcetrace: trace news claims to the sources that really stand behind them."""

__version__ = "0.1.0"
