"""Qt widgets: the main window, the prompt form and the canvas."""
