"""Articles -> chunks -> embeddings -> Chroma, and search over them. Never imports `bot`."""
