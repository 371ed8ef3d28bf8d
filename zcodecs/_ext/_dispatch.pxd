# Run-time kernel selection shared by the CRC32C and shuffle dispatchers.
#
# A dispatcher lists its kernels best first ("portable" last, always
# present).  The environment variable caps the choice: the kernels listed
# before the named one are neither probed nor imported.  An unknown name
# warns (RuntimeWarning) and is otherwise ignored; an empty value means no
# cap.  Names are matched after strip() and lower().


cdef inline list kernel_order(str variable, list order):
    """The kernels a dispatcher may probe and import, best first, under ``variable``."""
    import os
    import warnings
    wanted = os.environ.get(variable, "").strip().lower()
    if wanted in order:
        return order[order.index(wanted):]
    if wanted:
        warnings.warn(
            f"{variable}={wanted!r} ignored: expected one of {', '.join(order)}",
            RuntimeWarning, stacklevel=2)
    return list(order)
