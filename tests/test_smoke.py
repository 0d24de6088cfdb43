from tests.builders import *


def test_builders_make_every_entity(conn):
    pack = PackFixture.unique().create(conn)
    rule = RuleFixture.unique(pack).create(conn)
    sensor = SensorFixture.unique(pack).create(conn)
    event = EventFixture.unique().with_payload({"a": 1}).create(conn)
    enf = EnforcementFixture.unique(rule, event).create(conn)
    ex = ExecutionFixture.unique().create(conn)
    InquiryFixture.unique(ex).create(conn)
    NotificationFixture.unique().create(conn)
    ArtifactFixture.unique().create(conn)
    QueueStatsFixture.unique().create(conn)
    ident = IdentityFixture.unique().create(conn)
    PermissionAssignmentFixture.unique(ident).create(conn)
    k = KeyFixture.unique(pack).create(conn)
    assert k.ref == f"{pack.ref}.{k.name}"
    KeyFixture.unique().create(conn)
    KeyFixture.unique(sensor).create(conn)
    KeyFixture.unique(ident).create(conn)
    WorkerFixture.unique().create(conn)
    PolicyFixture.unique(pack).create(conn)
    assert event.payload == {"a": 1}
