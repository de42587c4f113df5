"""Exceptions the engine raises, each with a message a student can act on.

Every error the engine raises on bad input derives from :class:`FSMError`, so a
front end can catch one class and show ``str(err)``.  Sub-classes say what kind
of thing was wrong; the message says which field and which value.
"""


class FSMError(ValueError):
    """Base class of every engine error caused by bad input or settings."""


class InvalidMachineError(FSMError):
    """A machine definition is inconsistent (base class of the specific cases)."""


class InvalidAlphabetError(InvalidMachineError):
    """The alphabet is empty, has duplicates, or has an unusable symbol."""


class InvalidStateError(InvalidMachineError):
    """A state name or index does not exist, or the state list is malformed."""


class InvalidTransitionError(InvalidMachineError):
    """A transition is missing or leads to a state that does not exist."""


class InvalidOutputError(InvalidMachineError):
    """An output value is missing or is not a finite real number."""


class NoSuchMachineError(FSMError, IndexError):
    """An index names a machine that a bank does not have (also an IndexError)."""


class InvalidSymbolError(FSMError):
    """An input contains a symbol that is not in the alphabet."""


class MachineFormatError(FSMError):
    """A file or dict could not be read as a machine (JSON, JFLAP, ...)."""


class CapacityError(FSMError):
    """A requested size would exceed a memory or size cap."""


class TaskError(FSMError):
    """A task name or task parameter is invalid."""


class TrainingDiverged(FSMError):
    """Training produced a non-finite loss; the last good weights were restored."""
