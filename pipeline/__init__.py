"""Pure image and text processing: each step is a small typed function; flows/ decides the order."""
