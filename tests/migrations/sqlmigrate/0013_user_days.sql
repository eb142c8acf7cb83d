BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '10s';
--
-- Raw SQL operation
--

CREATE FUNCTION rr_user_days_compute(p_users bigint[])
RETURNS TABLE (user_id bigint, first_date date, last_date date, last_offset smallint,
               kept_last date, kept_run integer, longest integer, strength_sum double precision)
LANGUAGE sql STABLE AS $$
    SELECT u.id, s.first_date, s.last_date, s.last_offset, s.kept_last,
           COALESCE(s.kept_run, 0), COALESCE(s.longest, 0), COALESCE(s.strength_sum, 0)
    FROM rr_user u
    CROSS JOIN LATERAL (
        WITH day AS MATERIALIZED (
            SELECT DISTINCT ON (1) COALESCE(c.local_date, (c.created_at AT TIME ZONE 'UTC')::date) AS d,
                COALESCE(c.utc_offset_minutes, 0)::smallint AS off,
                c.score <= u.daily_goal AND EXISTS (SELECT 1 FROM rr_regret r WHERE r.checklist_id = c.id) AS kept
            FROM rr_checklist c
            WHERE c.user_id = u.id
            ORDER BY 1, c.created_at, c.id
        ), run AS MATERIALIZED (
            SELECT max(k.d) AS run_end, count(*)::integer AS run_len
            FROM (SELECT day.d, day.d - (row_number() OVER (ORDER BY day.d))::integer AS island
                  FROM day WHERE day.kept) k
            GROUP BY k.island
        ), latest AS (
            SELECT day.d, day.off FROM day ORDER BY day.d DESC LIMIT 1
        ), last_run AS (
            SELECT run.run_end, run.run_len FROM run ORDER BY run.run_end DESC LIMIT 1
        )
        SELECT (SELECT min(day.d) FROM day) AS first_date, latest.d AS last_date, latest.off AS last_offset,
            last_run.run_end AS kept_last, last_run.run_len AS kept_run,
            (SELECT max(run.run_len) FROM run) AS longest,
            (SELECT sum(power(0.5::float8, (last_run.run_end - day.d) / 13.0::float8)) FROM day
             WHERE day.kept AND last_run.run_end - day.d < 13000) AS strength_sum
        FROM latest LEFT JOIN last_run ON true
    ) s
    WHERE u.id = ANY(p_users)
$$;

CREATE FUNCTION rr_user_days_lock(p_users bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rr_user_days (user_id, kept_run, longest, strength_sum)
    SELECT u.id, 0, 0, 0 FROM rr_user u
    WHERE u.id = ANY(p_users) AND EXISTS (SELECT 1 FROM rr_checklist c WHERE c.user_id = u.id)
    ORDER BY u.id
    ON CONFLICT (user_id) DO NOTHING;
    PERFORM 1 FROM rr_user_days d WHERE d.user_id = ANY(p_users) ORDER BY d.user_id FOR UPDATE;
END $$;

CREATE FUNCTION rr_user_days_write(p_users bigint[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    written integer;
BEGIN
    WITH fresh AS MATERIALIZED (
        SELECT * FROM rr_user_days_compute(p_users)
    ), updated AS (
        UPDATE rr_user_days d
        SET first_date = f.first_date, last_date = f.last_date, last_offset = f.last_offset,
            kept_last = f.kept_last, kept_run = f.kept_run, longest = f.longest, strength_sum = f.strength_sum
        FROM fresh f
        WHERE d.user_id = f.user_id
          AND (d.first_date, d.last_date, d.last_offset, d.kept_last, d.kept_run, d.longest, d.strength_sum)
              IS DISTINCT FROM
              (f.first_date, f.last_date, f.last_offset, f.kept_last, f.kept_run, f.longest, f.strength_sum)
        RETURNING 1
    ), deleted AS (
        DELETE FROM rr_user_days d
        WHERE d.user_id = ANY(p_users) AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.user_id = d.user_id)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM deleted) INTO written;
    RETURN written;
END $$;

CREATE FUNCTION rr_user_days_refresh(p_users bigint[]) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr_user_days_lock(p_users);
    RETURN rr_user_days_write(p_users);
END $$;

CREATE FUNCTION rr_user_days_checklists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    users bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.user_id ORDER BY n.user_id) INTO users FROM new_rows n;
    ELSE
        SELECT array_agg(DISTINCT o.user_id ORDER BY o.user_id) INTO users FROM old_rows o;
    END IF;
    PERFORM rr_user_days_refresh(users);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_checklist_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    users bigint[] := ARRAY[LEAST(OLD.user_id, NEW.user_id), GREATEST(OLD.user_id, NEW.user_id)];
BEGIN
    PERFORM rr_user_days_lock(users);
    -- Under the lock (a later statement, so a goal change that held it is seen): only the
    -- score moved, and on the same side of the goal, so no day changed its keeping.
    IF (OLD.user_id, OLD.created_at, OLD.local_date, OLD.utc_offset_minutes)
           IS NOT DISTINCT FROM (NEW.user_id, NEW.created_at, NEW.local_date, NEW.utc_offset_minutes)
       AND NOT EXISTS (SELECT 1 FROM rr_user u WHERE u.id = NEW.user_id
                       AND (OLD.score <= u.daily_goal) IS DISTINCT FROM (NEW.score <= u.daily_goal)) THEN
        RETURN NULL;
    END IF;
    PERFORM rr_user_days_write(users);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_regrets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    users bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c WHERE c.id IN (SELECT n.checklist_id FROM new_rows n);
    ELSE
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c WHERE c.id IN (SELECT o.checklist_id FROM old_rows o);
    END IF;
    IF users IS NULL THEN
        RETURN NULL;  -- the checklists went too (a cascade): their own trigger refreshes
    END IF;
    PERFORM rr_user_days_lock(users);
    -- Whether a checklist has a regret matters only where its score meets the goal.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c JOIN rr_user u ON u.id = c.user_id
        WHERE c.id IN (SELECT n.checklist_id FROM new_rows n) AND c.score <= u.daily_goal;
    ELSE
        SELECT array_agg(DISTINCT c.user_id ORDER BY c.user_id) INTO users
        FROM rr_checklist c JOIN rr_user u ON u.id = c.user_id
        WHERE c.id IN (SELECT o.checklist_id FROM old_rows o) AND c.score <= u.daily_goal;
    END IF;
    IF users IS NOT NULL THEN
        PERFORM rr_user_days_write(users);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_regret_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr_user_days_refresh(array_agg(DISTINCT c.user_id ORDER BY c.user_id))
    FROM rr_checklist c WHERE c.id IN (OLD.checklist_id, NEW.checklist_id);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_goal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rr_user_days_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION rr_user_days_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM rr_user_days;
    RETURN NULL;
END $$;

--
-- Custom state/database change combination; Raw SQL operation (one round trip)
--

CREATE TABLE rr_user_days (
    user_id bigint NOT NULL PRIMARY KEY REFERENCES rr_user (id) ON DELETE CASCADE,
    first_date date NULL,
    last_date date NULL,
    last_offset smallint NULL,
    kept_last date NULL,
    kept_run integer NOT NULL,
    longest integer NOT NULL,
    strength_sum double precision NOT NULL
);


CREATE TRIGGER rr_user_days_checklists_inserted AFTER INSERT ON rr_checklist
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_checklists_changed();
CREATE TRIGGER rr_user_days_checklists_deleted AFTER DELETE ON rr_checklist
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_checklists_changed();
CREATE TRIGGER rr_user_days_checklist_updated
AFTER UPDATE OF user_id, created_at, local_date, utc_offset_minutes, score ON rr_checklist FOR EACH ROW
-- Written as a flat OR (not a row comparison, which PostgreSQL stores as nested ORs): a
-- pg_dump of it then restores to the same definition (tests/ops/test_backup.py).
WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.created_at IS DISTINCT FROM NEW.created_at
      OR OLD.local_date IS DISTINCT FROM NEW.local_date
      OR OLD.utc_offset_minutes IS DISTINCT FROM NEW.utc_offset_minutes OR OLD.score IS DISTINCT FROM NEW.score)
EXECUTE FUNCTION rr_user_days_checklist_updated();
CREATE TRIGGER rr_user_days_checklists_truncated AFTER TRUNCATE ON rr_checklist
FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_truncated();
CREATE TRIGGER rr_user_days_regrets_inserted AFTER INSERT ON rr_regret
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_regrets_changed();
CREATE TRIGGER rr_user_days_regrets_deleted AFTER DELETE ON rr_regret
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_regrets_changed();
CREATE TRIGGER rr_user_days_regret_moved AFTER UPDATE OF checklist_id ON rr_regret FOR EACH ROW
WHEN (OLD.checklist_id IS DISTINCT FROM NEW.checklist_id) EXECUTE FUNCTION rr_user_days_regret_moved();
CREATE TRIGGER rr_user_days_regrets_truncated AFTER TRUNCATE ON rr_regret
FOR EACH STATEMENT EXECUTE FUNCTION rr_user_days_truncated();
CREATE TRIGGER rr_user_days_goal_changed AFTER UPDATE OF daily_goal ON rr_user FOR EACH ROW
WHEN (OLD.daily_goal IS DISTINCT FROM NEW.daily_goal) EXECUTE FUNCTION rr_user_days_goal_changed();

--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '10s';
COMMIT;
