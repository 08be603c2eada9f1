-- 6: pseudonyms (P01, P02...) are numbered by first answer within a workshop's anonymous
-- sessions only; until now named sessions were counted too, which let a reader of an export
-- work out who a pseudonym was from the named groups' answer order.
DELETE FROM participants;
INSERT INTO participants (workshop_id, user_id, number)
SELECT workshop_id, user_id,
       row_number() OVER (PARTITION BY workshop_id ORDER BY first_answer)
FROM (SELECT s.workshop_id, a.user_id, min(a.id) AS first_answer
      FROM answers a JOIN sessions s ON s.id = a.session_id
      WHERE s.anonymous = 1
      GROUP BY s.workshop_id, a.user_id);
