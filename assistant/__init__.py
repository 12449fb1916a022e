"""CAPACities assistant: retrieval and grounded answers over the CAPACities deliverables."""

__version__ = "0.1.0"
