"""The Flask extensions, created unbound; create_app() binds them."""

from __future__ import annotations

from flask_babel import Babel
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after a commit (publishing and printing read them after the commit):
# no reload round trip per object, and no lazy load outside the use case.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
socketio = SocketIO()
csrf = CSRFProtect()
babel = Babel()
