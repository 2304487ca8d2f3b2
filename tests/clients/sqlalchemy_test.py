"""SQLAlchemy 2 (psycopg 3 driver) against DriftDB: Core, ORM and the
inspector.

On first connect SQLAlchemy runs ``select pg_catalog.version()``,
``select current_schema()``, ``show transaction isolation level``,
``show standard_conforming_strings`` and psycopg's TypeInfo lookup for
hstore; ``create_all``/``has_table`` query ``pg_class``/``pg_namespace``;
the inspector's ``get_columns``/``get_pk_constraint`` query ``pg_attribute``,
``pg_attrdef``, ``pg_constraint``, ``pg_index`` and friends. ORM inserts are
pipelined and auto-prepared (../shared/clients/NEEDS.md).
"""

import datetime as dt
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey,
                        Integer, MetaData, Numeric, String, Table, Text, create_engine,
                        func, inspect, insert, select, text, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from harness import DATABASE, HOST, PASSWORD, PORT, USER, check, eq, raises, run

UTC = dt.timezone.utc
URL = f"postgresql+psycopg://{USER}:{PASSWORD}@{HOST}:{PORT}/{DATABASE}"


def engine():
    return create_engine(URL)


@check(driftdb_only=True)
def quick_start():
    e = engine()
    with e.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS events"))
        c.execute(text("CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR)"))
    with e.begin() as c:
        c.execute(text("INSERT INTO events (id, data) VALUES (:id, :data)"),
                  {"id": 1, "data": "original"})
    with e.begin() as c:
        r = c.execute(text("UPDATE events SET data = :d WHERE id = :id"), {"d": "modified", "id": 1})
        eq(r.rowcount, 1, "UPDATE rowcount")
    with e.connect() as c:
        eq(c.execute(text("SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1")).all(),
           [(1, "original")], "AS OF @SEQ:1")
        eq(c.execute(text("SELECT * FROM events")).all(), [(1, "modified")], "current")
    e.dispose()


@check
def first_connect():
    e = engine()
    with e.connect() as c:
        eq(e.dialect.server_version_info[:1], (15,), "server_version_info")
        eq(e.dialect.default_schema_name, "public", "default schema")
        eq(c.execute(text("SELECT 1 + :x"), {"x": 1}).scalar(), 2, "text()")
        eq(c.get_isolation_level(), "READ COMMITTED", "isolation level")
    e.dispose()


metadata = MetaData()
products = Table(
    "products", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(50), nullable=False),
    Column("price", Numeric(12, 2)),
    Column("added", DateTime(timezone=True)),
    Column("active", Boolean, default=True),
    Column("born", Date),
    Column("weight", Float),
    Column("stock", BigInteger),
    Column("note", Text),
)


@check
def core_create_insert_select_update():
    e = engine()
    metadata.drop_all(e)
    metadata.create_all(e)
    with e.connect() as c:
        eq(e.dialect.has_table(c, "products"), True, "has_table after create_all")
        eq(e.dialect.has_table(c, "no_such_table"), False, "has_table of a missing table")
    metadata.create_all(e)  # checks existence again and creates nothing
    added = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with e.begin() as c:
        c.execute(insert(products), [
            {"id": 1, "name": "widget", "price": Decimal("9.99"), "added": added,
             "born": dt.date(2024, 1, 1), "weight": 1.5, "stock": 10**12, "note": "ü"},
        ])
        c.execute(insert(products).values(id=2, name="gadget", price=Decimal("100.50"),
                                          added=added, active=False))
        c.execute(insert(products).values(id=3, name="gizmo", price=None))
    with e.begin() as c:
        c.execute(update(products).where(products.c.id == 2).values(price=products.c.price * 2))
    with e.connect() as c:
        rows = c.execute(select(products).order_by(products.c.id)).all()
        eq(tuple(rows[0]), (1, "widget", Decimal("9.99"), added, True, dt.date(2024, 1, 1), 1.5,
                     10**12, "ü"), "row 1")
        eq(rows[1].price, Decimal("201.00"), "updated price")
        eq(rows[1].active, False, "explicit False")
        eq(rows[2].active, True, "Python-side default")
        eq(c.execute(select(func.count()).select_from(products)).scalar(), 3, "count")
        q = select(products.c.name).where(products.c.price > Decimal("10")).where(
            products.c.active.is_(False))
        eq(c.execute(q).scalars().all(), ["gadget"], "WHERE with bound parameters")
        q = select(products.c.name).where(products.c.name.in_(["gizmo", "widget"])).order_by(
            products.c.name.desc())
        eq(c.execute(q).scalars().all(), ["widget", "gizmo"], "IN (expanding)")
    e.dispose()


@check
def inspector():
    e = engine()
    metadata.create_all(e)
    insp = inspect(e)
    assert "products" in insp.get_table_names(), insp.get_table_names()
    cols = {c["name"]: c for c in insp.get_columns("products")}
    eq(list(cols), ["id", "name", "price", "added", "active", "born", "weight", "stock", "note"],
       "column order")
    eq(str(cols["name"]["type"]), "VARCHAR(50)", "varchar type")
    eq(str(cols["price"]["type"]), "NUMERIC(12, 2)", "numeric type")
    eq(str(cols["added"]["type"]), "TIMESTAMP", "timestamptz type")
    eq(cols["added"]["type"].timezone, True, "with time zone")
    eq(str(cols["active"]["type"]), "BOOLEAN", "bool type")
    eq(str(cols["stock"]["type"]), "BIGINT", "bigint type")
    eq(cols["name"]["nullable"], False, "NOT NULL")
    eq(cols["note"]["nullable"], True, "nullable")
    eq(cols["id"]["nullable"], False, "PK is NOT NULL")
    pk = insp.get_pk_constraint("products")
    eq((pk["constrained_columns"], pk["name"]), (["id"], "products_pkey"), "pk")
    e.dispose()


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40))
    balance: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    joined: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    vip: Mapped[bool] = mapped_column(Boolean, default=False)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))


@check
def orm_session():
    e = engine()
    Base.metadata.drop_all(e)
    Base.metadata.create_all(e)
    joined = dt.datetime(2023, 6, 1, 12, 0, tzinfo=UTC)
    with Session(e) as s:
        s.add_all([Customer(id=i, name=f"c{i}", joined=joined, vip=i % 2 == 0)
                   for i in range(1, 8)])
        s.commit()
    with Session(e) as s:
        for i in range(1, 8):  # the same SELECT more than 5 times: psycopg prepares it
            eq(s.get(Customer, i).name, f"c{i}", f"get {i}")
        c = s.scalars(select(Customer).where(Customer.vip).order_by(Customer.id)).all()
        eq([x.id for x in c], [2, 4, 6], "query")
        c[0].balance = Decimal("12.34")
        s.add(Order(id=1, customer_id=2, total=Decimal("5.00")))
        s.commit()
    with Session(e) as s:
        eq(s.get(Customer, 2).balance, Decimal("12.34"), "ORM update")
        eq(s.get(Customer, 2).joined, joined, "timestamptz")
        s.add(Customer(id=1, name="dup", joined=joined))
        err = raises(IntegrityError, s.commit)
        eq(err.orig.sqlstate, "23505", "duplicate key")
        s.rollback()
        eq(s.scalar(select(func.count()).select_from(Customer)), 7, "after rollback")
        total = s.execute(
            select(Customer.name, func.sum(Order.total))
            .join(Order, Order.customer_id == Customer.id)
            .group_by(Customer.name)).all()
        eq(total, [("c2", Decimal("5.00"))], "join + group by")
        s.execute(update(Customer).where(Customer.id > 5).values(vip=True))
        s.commit()
        eq(s.scalar(select(func.count()).where(Customer.vip)), 4, "bulk update")
    Base.metadata.drop_all(e)
    with e.connect() as c:
        eq(e.dialect.has_table(c, "customers"), False, "drop_all")
    e.dispose()


if __name__ == "__main__":
    run()
