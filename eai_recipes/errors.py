"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class EaiError(Exception):
    """A problem the user can fix (bad config, missing file, failed subprocess).

    The message must name what is wrong and where; the CLI prints it without a traceback.
    """

    exit_code = 2
