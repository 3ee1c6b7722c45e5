"""Fund operations: each a pure plan over the books plus one booking call through the writer.

The modules whose indexes the write snapshot carries (`books.write_snapshot.register_fold`) are
imported with the package, so that every write of any command keeps all of them in the
snapshot it leaves: the next command finds its index there instead of loading the books.
"""

from xtaccounts.ops import (  # noqa: F401  (register the folds)
    bank_lines,
    claims,
    owner_deposits,
    premium_index,
    voucher_index,
)
