"""Plain data types and file handling shared by every layer; no torch, no Qt."""
