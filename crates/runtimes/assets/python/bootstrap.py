"""Entry point of Stratus's Python runtime: ``python3.X -S bootstrap.py [handler]``.

The runtime itself is the module beside this script, imported rather than run so that its
precompiled bytecode is used (see _stratus_runtime)."""

import _stratus_runtime

_stratus_runtime.main()
