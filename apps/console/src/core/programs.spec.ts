import { spotRows, uptakeBars, uptakeRows } from './programs';

describe('programs page data', () => {
  it('orders months and never carries a number out of a suppressed month', () => {
    const rows = uptakeRows([
      { month: '2021-07', applications: 42, admissions: 40, suppressed: false },
      { month: '2021-05', applications: 7, admissions: 5, suppressed: true },
      { month: '2021-06', applications: 130, admissions: 0, suppressed: false },
    ]);
    expect(rows).toEqual([
      { month: '2021-05', applications: null, admissions: null },
      { month: '2021-06', applications: 130, admissions: 0 },
      { month: '2021-07', applications: 42, admissions: 40 },
    ]);
    expect(uptakeBars(rows)).toEqual([{ label: '2021-06', count: 130 }, { label: '2021-07', count: 42 }]);
  });

  it('lists empty spots by province, undetermined after eligible with its field, suppressed cells without a number', () => {
    const rows = spotRows([
      { province: 'QC', measure: 'UNDETERMINED_NOT_APPLIED', field: 'healthCareHours', count: 12, suppressed: false },
      { province: 'QC', measure: 'ELIGIBLE_NOT_APPLIED', field: null, count: 34, suppressed: false },
      { province: 'NB', measure: 'ELIGIBLE_NOT_APPLIED', field: null, count: 6, suppressed: true },
    ]);
    expect(rows).toEqual([
      { province: 'NB', measure: 'ELIGIBLE_NOT_APPLIED', field: '', count: null },
      { province: 'QC', measure: 'ELIGIBLE_NOT_APPLIED', field: '', count: 34 },
      { province: 'QC', measure: 'UNDETERMINED_NOT_APPLIED', field: 'healthCareHours', count: 12 },
    ]);
  });
});
