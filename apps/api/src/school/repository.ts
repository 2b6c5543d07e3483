import { type Kysely, sql } from 'kysely';
import type { Database, SchoolRole } from '../db/schema.js';

export function schoolRepository(db: Kysely<Database>) {
  return {
    /** A new account (signup verified, invite accepted); a taken e-mail is a 23505 → 409. */
    createUser(user: { email: string; name: string; role: SchoolRole; passwordHash: string }) {
      return db
        .insertInto('school_users')
        .values({
          email: user.email.toLowerCase(),
          name: user.name,
          role: user.role,
          password_hash: user.passwordHash,
        })
        .returning(['id', 'email', 'name', 'role'])
        .executeTakeFirstOrThrow();
    },
    async setPassword(id: number, passwordHash: string): Promise<boolean> {
      const result = await db
        .updateTable('school_users')
        .set({ password_hash: passwordHash })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    findUserByEmail(email: string) {
      return db
        .selectFrom('school_users')
        .select(['id', 'email', 'name', 'role', 'password_hash as passwordHash'])
        .where('email', '=', email.toLowerCase())
        .executeTakeFirst();
    },
    getUser(id: number) {
      return db
        .selectFrom('school_users')
        .select(['id', 'email', 'name', 'role'])
        .where('id', '=', id)
        .executeTakeFirst();
    },
    getRole(name: SchoolRole) {
      return db
        .selectFrom('school_roles')
        .select(['name', 'description', 'permissions'])
        .where('name', '=', name)
        .executeTakeFirst()
        .then((r) => (r ? { ...r, permissions: r.permissions.split(',') } : undefined));
    },
    updateRolePermissions(name: SchoolRole, permissions: string[]) {
      return db
        .updateTable('school_roles')
        .set({ permissions: permissions.join(',') })
        .where('name', '=', name)
        .returning(['name', 'description', 'permissions'])
        .executeTakeFirst()
        .then((r) => (r ? { ...r, permissions: r.permissions.split(',') } : undefined));
    },
    /** Who has a dashboard that shows this student's grades (for invalidation). */
    async dashboardsAffectedByGrade(studentId: number, classId: number) {
      const [teacher, parents] = await Promise.all([
        db
          .selectFrom('school_classes')
          .select('teacher_id')
          .where('id', '=', classId)
          .executeTakeFirst(),
        db
          .selectFrom('guardians')
          .select('parent_id')
          .where('student_id', '=', studentId)
          .execute(),
      ]);
      return {
        teacherId: teacher?.teacher_id,
        parentIds: parents.map((p) => p.parent_id),
      };
    },
    classExists(classId: number) {
      return db
        .selectFrom('school_classes')
        .select(['id', 'teacher_id as teacherId'])
        .where('id', '=', classId)
        .executeTakeFirst();
    },
    isEnrolled(studentId: number, classId: number) {
      return db
        .selectFrom('enrollments')
        .select('student_id')
        .where('student_id', '=', studentId)
        .where('class_id', '=', classId)
        .executeTakeFirst()
        .then(Boolean);
    },
    recordGrade(studentId: number, classId: number, score: number) {
      return db
        .insertInto('grades')
        .values({ student_id: studentId, class_id: classId, score })
        .returning([
          'id',
          'student_id as studentId',
          'class_id as classId',
          'score',
          'recorded_at as recordedAt',
        ])
        .executeTakeFirstOrThrow();
    },
    async dashboard(role: SchoolRole, userId: number) {
      switch (role) {
        case 'super_admin':
        case 'school_admin':
        case 'staff': {
          const [byRole, classes, grades] = await Promise.all([
            sql<{
              role: string;
              n: string;
            }>`select role, count(*) as n from school_users group by role order by role`.execute(
              db,
            ),
            sql<{
              classes: string;
              enrollments: string;
            }>`select (select count(*) from school_classes) as classes, (select count(*) from enrollments) as enrollments`.execute(
              db,
            ),
            sql<{
              avg: string | null;
              recent: string;
            }>`select round(avg(score), 1) as avg, count(*) filter (where recorded_at > now() - interval '30 days') as recent from grades`.execute(
              db,
            ),
          ]);
          return {
            usersByRole: Object.fromEntries(byRole.rows.map((r) => [r.role, Number(r.n)])),
            classes: Number(classes.rows[0]?.classes ?? 0),
            enrollments: Number(classes.rows[0]?.enrollments ?? 0),
            averageScore: Number(grades.rows[0]?.avg ?? 0),
            gradesLast30Days: Number(grades.rows[0]?.recent ?? 0),
          };
        }
        case 'teacher': {
          const classes = await sql<{
            id: number;
            name: string;
            students: string;
            avg: string | null;
          }>`
            select c.id, c.name, count(distinct e.student_id) as students, round(avg(g.score), 1) as avg
            from school_classes c left join enrollments e on e.class_id = c.id left join grades g on g.class_id = c.id
            where c.teacher_id = ${userId} group by c.id, c.name order by c.id`.execute(db);
          return {
            classes: classes.rows.map((c) => ({
              id: c.id,
              name: c.name,
              students: Number(c.students),
              averageScore: Number(c.avg ?? 0),
            })),
          };
        }
        case 'student':
          return { grades: await gradesOf(db, [userId]) };
        case 'parent': {
          const children = await db
            .selectFrom('guardians')
            .select('student_id')
            .where('parent_id', '=', userId)
            .execute();
          return {
            children: await gradesOf(
              db,
              children.map((c) => c.student_id),
            ),
          };
        }
      }
    },
  };
}

async function gradesOf(db: Kysely<Database>, studentIds: number[]) {
  if (studentIds.length === 0) return [];
  const rows = await sql<{
    studentId: number;
    classId: number;
    className: string;
    avg: string;
    latest: number;
  }>`
    select g.student_id as "studentId", g.class_id as "classId", c.name as "className", round(avg(g.score), 1) as avg,
      (array_agg(g.score order by g.recorded_at desc, g.id desc))[1] as latest
    from grades g join school_classes c on c.id = g.class_id
    where g.student_id in (${sql.join(studentIds)}) group by g.student_id, g.class_id, c.name order by 1, 2`.execute(
    db,
  );
  return rows.rows.map((r) => ({
    studentId: r.studentId,
    classId: r.classId,
    className: r.className,
    averageScore: Number(r.avg),
    latestScore: r.latest,
  }));
}

export type SchoolRepository = ReturnType<typeof schoolRepository>;
