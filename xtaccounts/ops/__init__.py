"""Fund operations: each a pure plan over the books plus one booking call through the writer."""
