from notes.db import database_path, migrate

if __name__ == "__main__":
    migrate()
    print(f"migrated {database_path()}")
