DROP TABLE attune.key;
DROP FUNCTION attune.key_set_owner();
DROP TABLE attune.permission_assignment;
DROP TABLE attune.permission_set;
DROP TABLE attune.identity;
