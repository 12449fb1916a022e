"""The one error type for problems a user can fix; its message is French and says what to do."""


class CapacitiesError(Exception):
    """A problem the user can fix (bad file, missing index, bad setting). Message in French."""
