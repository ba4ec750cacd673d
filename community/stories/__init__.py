"""Stories: members write about their leak, choose who may read each story, and may publish it for awareness
with consent they can withdraw. (This slice holds the rules; the pages arrive next.)"""

from . import models  # noqa: E402,F401  (the tables; also loads accounts before moderation, as every feature does)
