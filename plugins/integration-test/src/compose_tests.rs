use super::*;

const SHOP: &str = r#"
services:
  api:
    build: .
    environment:
      DATABASE_URL: postgres://app@db/app
      DEBUG: 1
      FROM_HOST:
    ports: ["8080:8000"]
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
  db:
    image: postgres:16
    environment: ["POSTGRES_PASSWORD=secret", "PGDATA"]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app"]
      interval: 1s
      retries: 20
  migrate:
    build:
      context: ./migrations
      dockerfile: Dockerfile.migrate
    command: ./migrate --to "latest version"
    depends_on: [db]
  cache:
    image: redis:7
    expose: ["6379"]
  admin:
    image: adminer
    profiles: [debug]
  tests:
    build: ../../tests/api
    command: ["pytest", "-q"]
    working_dir: /tests
    depends_on: [api]
"#;

fn shop_plan(test: Option<&str>) -> Plan {
    let compose = parse(SHOP).unwrap_or_else(|e| panic!("{e}"));
    plan(&compose, "services/api", "api", test).unwrap_or_else(|e| panic!("{e}"))
}

fn names(plan: &Plan) -> Vec<&str> {
    plan.services.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn dependencies_start_first_and_profiles_and_the_test_service_are_held_back() {
    let plan = shop_plan(Some("tests"));
    assert_eq!(names(&plan), vec!["db", "migrate", "api", "cache"]);
    let test = plan.test.unwrap_or_else(|| panic!("no test service"));
    assert_eq!(test.name, "tests");
    assert_eq!(test.command, vec!["pytest", "-q"]);
    assert_eq!(test.workdir.as_deref(), Some("/tests"));
    assert_eq!(
        test.source,
        ImageSource::Build {
            context: "tests/api".into(),
            dockerfile: "Dockerfile".into()
        }
    );
}

#[test]
fn the_service_under_test_takes_the_image_under_test() {
    let plan = shop_plan(None);
    let api = &plan.services[2];
    assert_eq!(api.source, ImageSource::UnderTest);
    assert_eq!(api.readiness, Readiness::Port(8000));
    assert_eq!(api.depends_on, vec!["db", "migrate"]);
    // Without a test service (`command` mode), a `tests` service is just a service.
    assert!(plan.test.is_none());
    assert_eq!(names(&plan), vec!["db", "migrate", "api", "cache", "tests"]);
}

#[test]
fn images_builds_env_commands_and_readiness_are_mapped() {
    let plan = shop_plan(Some("tests"));
    let [db, migrate, api, cache] = plan.services.as_slice() else {
        panic!("expected four services, got {:?}", names(&plan));
    };
    assert_eq!(db.source, ImageSource::Image("postgres:16".into()));
    assert_eq!(db.env, vec![("POSTGRES_PASSWORD".into(), "secret".into())]);
    assert_eq!(db.readiness, Readiness::Healthy);
    let hc = db
        .healthcheck
        .clone()
        .unwrap_or_else(|| panic!("no healthcheck"));
    assert_eq!(hc.command, vec!["sh", "-c", "pg_isready -U app"]);
    assert_eq!((hc.interval_ms, hc.retries), (1_000, 20));
    assert_eq!(
        migrate.source,
        ImageSource::Build {
            context: "services/api/migrations".into(),
            dockerfile: "Dockerfile.migrate".into()
        }
    );
    assert_eq!(migrate.command, vec!["./migrate", "--to", "latest version"]);
    assert_eq!(migrate.readiness, Readiness::Completed);
    assert_eq!(
        api.env,
        vec![
            ("DATABASE_URL".into(), "postgres://app@db/app".into()),
            ("DEBUG".into(), "1".into())
        ]
    );
    assert_eq!(cache.readiness, Readiness::Port(6379));
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings.iter().any(|w| w.contains("`FROM_HOST`")));
}

#[test]
fn a_profiled_service_starts_when_something_needs_it() {
    let yaml = "services:\n  app: {image: a}\n  tests:\n    image: t\n    depends_on: [mock]\n  mock:\n    image: m\n    profiles: [test]\n";
    let compose = parse(yaml).unwrap_or_else(|e| panic!("{e}"));
    let plan = plan(&compose, ".", "app", Some("tests")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&plan), vec!["app", "mock"]);
    assert_eq!(plan.services[1].readiness, Readiness::Running);
}

#[test]
fn unknown_services_and_bad_files_are_explained() {
    let compose = parse(SHOP).unwrap_or_else(|e| panic!("{e}"));
    let Err(e) = plan(&compose, ".", "web", None) else {
        panic!("`web` is not in the file");
    };
    assert!(
        e.contains("no service `web`") && e.contains("api, db"),
        "{e}"
    );
    assert!(plan(&compose, ".", "api", Some("api")).is_err());
    let dangling = parse("services:\n  a:\n    image: x\n    depends_on: [ghost]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let Err(e) = plan(&dangling, ".", "a", None) else {
        panic!("`ghost` is not defined");
    };
    assert!(e.contains("`ghost`"), "{e}");
    assert!(parse("services: [1, 2").is_err());
    let bare = parse("services:\n  a: {}\n  b: {image: x}\n").unwrap_or_else(|e| panic!("{e}"));
    let Err(e) = plan(&bare, ".", "b", None) else {
        panic!("`a` has no image");
    };
    assert!(e.contains("service `a`") && e.contains("neither"), "{e}");
}

#[test]
fn a_test_service_binding_the_compose_dir_runs_there_in_the_workspace() {
    let yaml = r#"
services:
  payments:
    build: ./payments
    image: shop/payments
    healthcheck:
      test: ["CMD", "python3", "-c", "print(1)"]
      interval: 2s
  gateway:
    build: ./gateway
    image: shop/gateway
    depends_on:
      payments:
        condition: service_healthy
  tests:
    image: seamless/debian
    working_dir: /shop
    volumes:
      - ./:/shop
    command: ["python3", "tools/junit.py", "--junit", "reports/junit-integration.xml"]
    depends_on:
      gateway:
        condition: service_healthy
"#;
    let compose = parse(yaml).unwrap_or_else(|e| panic!("{e}"));
    let plan =
        plan(&compose, "examples/shop", "gateway", Some("tests")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&plan), vec!["payments", "gateway"]);
    assert_eq!(
        plan.services[0].source,
        ImageSource::Build {
            context: "examples/shop/payments".into(),
            dockerfile: "Dockerfile".into()
        }
    );
    assert_eq!(plan.services[1].source, ImageSource::UnderTest);
    assert!(!plan.services[1].mount_workspace);
    let test = plan.test.unwrap_or_else(|| panic!("no test service"));
    assert_eq!(test.source, ImageSource::Image("seamless/debian".into()));
    assert_eq!(test.workdir.as_deref(), Some("/workspace/examples/shop"));
    assert!(test.mount_workspace);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}
