DROP TABLE attune.policy;
DROP TABLE attune.rule;
DROP TABLE attune.action;
DROP TABLE attune.sensor;
DROP TABLE attune.trigger;
DROP TABLE attune.worker;
DROP TABLE attune.runtime;
DROP TABLE attune.pack;
