"""povguard: dynamic monitoring and assistance to prevent return to poverty."""

__version__ = "0.1.0"
