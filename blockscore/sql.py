"""Lean SQL for the few hot paths (ledger postings, audit events).

``RowInsert`` is ``bulk_create`` without its per-call cost: the INSERT statement is built
once per model, column list and row count, and values go through each field's own
``get_db_prep_save`` (so UUIDs, JSON, dates and times are stored exactly as the ORM would
store them, on PostgreSQL and on SQLite). It does not call ``pre_save``: use it only for
models whose listed fields are all set by the caller (no ``auto_now``), and it sends no
signals (the project uses none for these models).
"""

from django.db import connections


class RowInsert:
    def __init__(self, model, fields: list[str]):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self._statements: dict[tuple[str, int, bool], str] = {}

    def _statement(self, connection, rows: int, returning: bool, conflict: tuple[str, ...] = ()) -> str:
        key = (connection.alias, rows, returning, conflict)
        statement = self._statements.get(key)
        if statement is None:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(field.column) for field in self.fields)
            placeholders = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
            statement = (
                f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) VALUES "
                + ", ".join([placeholders] * rows)
                + (f" ON CONFLICT ({', '.join(quote(column) for column in conflict)}) DO NOTHING" if conflict else "")
                + (f" RETURNING {quote(self.model._meta.pk.column)}" if returning else "")
            )
            self._statements[key] = statement
        return statement

    def statement(self, objs: list, *, using: str = "default", returning_pk: bool = False) -> tuple[str, list]:
        """The INSERT of ``objs`` and its parameters, to run as part of a larger statement."""
        connection = connections[using]
        params = [
            field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs for field in self.fields
        ]
        return self._statement(connection, len(objs), returning_pk), params

    def insert(self, objs: list, *, using: str = "default", returning_pk: bool = True) -> None:
        """INSERT ``objs`` in one statement; with ``returning_pk`` their primary keys are set."""
        connection = connections[using]
        returning = returning_pk and connection.features.can_return_rows_from_bulk_insert
        if returning_pk and not returning and len(objs) > 1:
            for obj in objs:
                self.insert([obj], using=using)
            return
        params = [
            field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs for field in self.fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection, len(objs), returning), params)
            if returning:
                for obj, row in zip(objs, cursor.fetchall(), strict=True):
                    obj.pk = row[0]
            elif returning_pk:
                objs[0].pk = cursor.lastrowid
        for obj in objs:
            obj._state.adding = False
            obj._state.db = using

    def insert_or_skip(self, obj, *, conflict: tuple[str, ...], using: str = "default") -> bool:
        """INSERT one row unless it conflicts on the unique ``conflict`` columns; whether it was inserted.

        ``INSERT ... ON CONFLICT (...) DO NOTHING RETURNING pk``: a conflict is no error
        (the transaction goes on), and on PostgreSQL a conflicting row of a transaction
        still running is waited for, then decided on.
        """
        connection = connections[using]
        params = [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection, 1, True, conflict), params)
            row = cursor.fetchone()
        if row is None:
            return False
        obj.pk = row[0]
        obj._state.adding = False
        obj._state.db = using
        return True
