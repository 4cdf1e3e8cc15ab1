"""Sources of cases: the history seeder and the live simulator. Writes through data_access."""
