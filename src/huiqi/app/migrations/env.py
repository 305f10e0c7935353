"""Alembic environment: the platform's metadata, the URL given by ``huiqi db upgrade``."""

from alembic import context

from huiqi.app.db import make_engine
from huiqi.app.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or "sqlite:///huiqi.db"
connectable = config.attributes.get("connection")


def run() -> None:
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
