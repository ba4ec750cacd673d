"""The test that cannot be outgrown: every column in the schema that names a member is covered by some feature's
part of the data export, and, for a member with something in every such table, the part covering it exports
something. A new table holding a member's id fails here until its feature registers it with
community.privacy.registry."""

from sqlalchemy import func, select

from community.extensions import db
from community.privacy import registry, services
from tests.site_tour import make_people


def columns_naming_a_member() -> set[str]:
    """Every `table.column` with a foreign key to the user table."""
    return {f"{table.name}.{column.name}" for table in db.metadata.sorted_tables for column in table.columns
            if any(key.column.table.name == "user" for key in column.foreign_keys)}


def test_every_column_naming_a_member_is_covered_by_the_export(app):
    missing = columns_naming_a_member() - registry.covered_columns()
    assert not missing, (f"These columns name a member but no feature exports them: {sorted(missing)}. Register "
                         "them with community.privacy.registry (see community/lounge/__init__.py).")


def test_no_part_claims_a_column_that_does_not_name_a_member(app):
    assert registry.covered_columns() <= columns_naming_a_member()


def test_each_column_is_covered_once(app):
    claimed = [column for part in registry.parts() for column in part.columns]
    assert len(claimed) == len(set(claimed))


def test_where_a_member_has_rows_their_export_has_that_part(app):
    people = make_people()
    for role in ("member", "moderator", "admin"):
        person = people[role]
        exported = services.export_member(person)["sections"]
        for part in registry.parts():
            for column in part.columns:
                table_name, column_name = column.split(".")
                table = db.metadata.tables[table_name]
                rows = db.session.scalar(select(func.count()).select_from(table)
                                         .where(table.c[column_name] == person.id))
                if rows:
                    assert exported[part.key]["data"], f"{role} has {rows} rows in {column} but {part.key} is empty"
