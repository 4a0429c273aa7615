//! Reports of an experiment. A report is a pure function of the model, seed,
//! params and flags: no wall-clock figures here. `figures` holds one run's
//! figures as data; `table`, `json` and `csv` render what
//! `experiment::aggregate` made of them; `part` is a shard's part file.

pub mod csv;
pub mod figures;
pub mod json;
pub mod part;
pub mod table;

use crate::cli::ReportFormat;
use crate::experiment::aggregate::Report;

/// The report in `format`.
pub fn render(format: ReportFormat, report: &Report) -> Result<String, String> {
    match format {
        ReportFormat::Table => Ok(table::render(report)),
        ReportFormat::Json => Ok(json::render(report)),
        ReportFormat::Csv => csv::render(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::aggregate::aggregate;
    use crate::report::figures::samples;

    fn one() -> Report {
        aggregate("m.usim", 7, 1, &samples()[..1])
    }

    fn two() -> Report {
        aggregate("m.usim", 7, 2, &samples())
    }

    #[test]
    fn the_table_of_one_replication_has_a_row_per_entry_and_a_column_per_figure() {
        assert_eq!(
            render(ReportFormat::Table, &one()).unwrap(),
            "\
end time  10
events    42
ended by  horizon

tally          count  mean  std  min  max  p50  p95   p99   mser5_warmup
wait           3      1.5   0.5  1    2    1.5  1.95  1.99  NaN

var            final  mean  min  max
done           5      2.5   0    5
open           true   0.75  0    1
level          1.5    1.25  0    2

lock           capacity  acquired  utilization  mean_queue  max_queue  mean_wait  max_wait
server         1         3         0.5          0.25        2          1          2

queue          capacity   put  got  mean_length  max_length  mean_wait  max_wait
jobs           unbounded  4    3    0.5          2           NaN        NaN

resource       capacity  mean_level  min_level  max_level  mean_queue  max_queue  mean_wait  max_wait
tank           200       120.5       0          200        0           0          inf        3

still waiting at the end:
  late waits on channel news since 3
"
        );
    }

    #[test]
    fn the_table_of_replications_shows_mean_ci_and_extremes_in_columns() {
        let text = render(ReportFormat::Table, &two()).unwrap();
        let expected_start = "\
replications  2
end time      11 ± 12.7062  [10, 12]
events        43 ± 12.7062  [42, 44]
ended by      horizon: 1, stop: 1

tally          statistic     mean  ± ci95     min   max
wait           count         3     ± 0        3     3
               mean          2.5   ± 12.7062  1.5   3.5
";
        assert!(text.starts_with(expected_start), "{text}");
        for part in [
            "\nopen           final      0.5   ± 6.3531   0     1\n",
            "\nlock           statistic    mean  ± ci95  min   max\nserver         capacity     1\n",
            "\njobs           capacity     unbounded\n",
            "\n               mean_wait   inf    ± NaN   inf    inf\n",
            "\nstill waiting at the end:\n  replication 0: late waits on channel news since 3\n  \
             replication 1: late waits on channel news since 3\n",
        ] {
            assert!(text.contains(part), "{part:?} is not in\n{text}");
        }
    }

    #[test]
    fn a_sweep_has_a_block_per_combination_headed_by_its_params() {
        let [a, mut b] = samples();
        b.params[0].1 = crate::report::figures::Value::Int(3);
        let text = render(ReportFormat::Table, &aggregate("m.usim", 7, 1, &[a, b])).unwrap();
        assert!(text.starts_with("with N=2, RATE=0.5, FAST=true\nend time  10\n"), "{text}");
        assert!(text.contains("since 3\n\nwith N=3, RATE=0.5, FAST=true\nend time  12\n"), "{text}");
        assert_eq!(text.matches("ended by").count(), 2);
    }

    #[test]
    fn the_json_of_one_replication_has_every_figure_as_a_number() {
        assert_eq!(
            render(ReportFormat::Json, &one()).unwrap(),
            r#"{
  "model": "m.usim",
  "seed": 7,
  "replications": 1,
  "runs": [
    {
      "params": {
        "N": 2,
        "RATE": 0.5,
        "FAST": true
      },
      "end_time": 10.0,
      "events": 42,
      "tallies": {
        "wait": {
          "count": 3,
          "mean": 1.5,
          "std": 0.5,
          "min": 1.0,
          "max": 2.0,
          "p50": 1.5,
          "p95": 1.95,
          "p99": 1.99,
          "mser5_warmup": "NaN",
          "histogram": {
            "min": 1.0,
            "max": 2.0,
            "start": 1.0,
            "width": 0.0625,
            "counts": [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
          }
        }
      },
      "vars": {
        "done": {
          "final": 5,
          "mean": 2.5,
          "min": 0,
          "max": 5
        },
        "open": {
          "final": true,
          "mean": 0.75,
          "min": 0,
          "max": 1
        },
        "level": {
          "final": 1.5,
          "mean": 1.25,
          "min": 0.0,
          "max": 2.0
        }
      },
      "locks": {
        "server": {
          "capacity": 1,
          "acquired": 3,
          "utilization": 0.5,
          "mean_queue": 0.25,
          "max_queue": 2,
          "mean_wait": 1.0,
          "max_wait": 2.0
        }
      },
      "queues": {
        "jobs": {
          "capacity": null,
          "put": 4,
          "got": 3,
          "mean_length": 0.5,
          "max_length": 2,
          "mean_wait": "NaN",
          "max_wait": "NaN"
        }
      },
      "resources": {
        "tank": {
          "capacity": 200.0,
          "mean_level": 120.5,
          "min_level": 0.0,
          "max_level": 200.0,
          "mean_queue": 0.0,
          "max_queue": 0,
          "mean_wait": "Infinity",
          "max_wait": 3.0
        }
      },
      "ended_by": "horizon",
      "waiting": [
        {
          "process": "late",
          "on": "channel news",
          "since": 3.0
        }
      ]
    }
  ]
}
"#
        );
    }

    #[test]
    fn the_json_of_replications_aggregates_every_figure_but_capacities() {
        let text = render(ReportFormat::Json, &two()).unwrap();
        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
        let run = &report["runs"][0];
        assert_eq!(report["replications"], 2);
        assert_eq!(run["end_time"].to_string(), r#"{"mean":11.0,"ci95":12.706204736174689,"min":10.0,"max":12.0}"#);
        assert_eq!(run["events"].to_string(), r#"{"mean":43.0,"ci95":12.706204736174689,"min":42,"max":44}"#);
        assert_eq!(run["tallies"]["wait"]["count"].to_string(), r#"{"mean":3.0,"ci95":0.0,"min":3,"max":3}"#);
        assert_eq!(
            run["tallies"]["wait"]["mser5_warmup"].to_string(),
            r#"{"mean":"NaN","ci95":"NaN","min":"NaN","max":"NaN"}"#
        );
        assert_eq!(
            run["vars"]["open"]["final"].to_string(),
            r#"{"mean":0.5,"ci95":6.353102368087344,"min":0,"max":1}"#
        );
        assert_eq!(run["locks"]["server"]["capacity"], 1);
        assert_eq!(run["queues"]["jobs"]["capacity"], serde_json::Value::Null);
        assert_eq!(run["resources"]["tank"]["capacity"], 200.0);
        assert_eq!(
            run["resources"]["tank"]["mean_wait"].to_string(),
            r#"{"mean":"Infinity","ci95":"NaN","min":"Infinity","max":"Infinity"}"#
        );
        // The histograms of [1, 1.5, 2] and [1, 1.5, 4] pooled: bins of 1/8 from 1 to 4.
        assert_eq!(
            run["tallies"]["wait"]["histogram"].to_string(),
            r#"{"min":1.0,"max":4.0,"start":1.0,"width":0.125,"counts":[2,0,0,0,2,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]}"#
        );
        assert_eq!(run["ended_by"].to_string(), r#"{"horizon":1,"stop":1}"#);
        assert_eq!(
            run["waiting"].to_string(),
            r#"[{"replication":0,"process":"late","on":"channel news","since":3.0},{"replication":1,"process":"late","on":"channel news","since":3.0}]"#
        );
        assert!(text.contains("\"counts\": [2, 0, 0, 0, 2, 0, 0, 0, 1, 0,"), "{text}");
        let keys: Vec<&str> = run.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["params", "end_time", "events", "tallies", "vars", "locks", "queues", "resources", "ended_by", "waiting"]
        );
    }

    #[test]
    fn the_csv_is_tidy_with_numbers_only_in_the_value_columns() {
        let text = render(ReportFormat::Csv, &one()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 2 + 9 + 12 + 7 + 7 + 8);
        assert_eq!(
            lines[..5],
            [
                "run,N,RATE,FAST,kind,name,statistic,value",
                "0,2,0.5,true,run,,end_time,10.0",
                "0,2,0.5,true,run,,events,42",
                "0,2,0.5,true,tally,wait,count,3",
                "0,2,0.5,true,tally,wait,mean,1.5",
            ]
        );
        for line in [
            "0,2,0.5,true,tally,wait,mser5_warmup,NaN",
            "0,2,0.5,true,var,open,final,1",
            "0,2,0.5,true,var,level,min,0.0",
            "0,2,0.5,true,queue,jobs,capacity,",
            "0,2,0.5,true,resource,tank,mean_wait,Infinity",
            "0,2,0.5,true,resource,tank,max_wait,3.0",
        ] {
            assert!(lines.contains(&line), "{line} is not in\n{text}");
        }
        let text = render(ReportFormat::Csv, &two()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "run,N,RATE,FAST,kind,name,statistic,mean,ci95,min,max");
        for line in [
            "0,2,0.5,true,run,,end_time,11.0,12.706204736174689,10.0,12.0",
            "0,2,0.5,true,run,,events,43.0,12.706204736174689,42,44",
            "0,2,0.5,true,var,open,final,0.5,6.353102368087344,0,1",
            "0,2,0.5,true,lock,server,capacity,1,0.0,1,1",
            "0,2,0.5,true,queue,jobs,capacity,,,,",
            "0,2,0.5,true,resource,tank,mean_wait,Infinity,NaN,Infinity,Infinity",
        ] {
            assert!(lines.contains(&line), "{line} is not in\n{text}");
        }
    }
}
